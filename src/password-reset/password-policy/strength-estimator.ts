import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Worker } from 'node:worker_threads';

export interface StrengthEstimate {
  /** zxcvbn's score, 0 (guessable) to 4. */
  score: number;
  warning: string | null;
  suggestions: string[];
}

/**
 * Only the first 64 characters are scored and few l33t substitutions tried:
 * that keeps one estimate in the tens of milliseconds instead of seconds for a
 * long hostile input, and a password whose first 64 characters are strong is strong.
 */
const ESTIMATOR_OPTIONS = { maxLength: 64, l33tMaxSubstitutions: 10 };

/**
 * The worker's live heap is zxcvbn's dictionaries, about 27 MiB, and one
 * estimate at a time. Left to V8's defaults, a heap limit of a quarter of the
 * machine's memory lets it grow to four times what survived the last full
 * collection, 160 MiB of mostly garbage over a few hundred estimates; under a
 * 128 MiB limit V8 grows it by 1.3 at most, and with a young generation of
 * 4 MiB it stays near 45 MiB, for about a tenth more CPU per estimate.
 */
const WORKER_HEAP_LIMITS = {
  maxOldGenerationSizeMb: 128,
  maxYoungGenerationSizeMb: 4,
};

/** Plain CommonJS, so it runs the same from the build and from the tests' TypeScript. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const english = require(workerData.english);
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
  ...workerData.options,
});
parentPort.on('message', ({ id, password, userInputs }) => {
  const { score, feedback } = estimator.check(password, userInputs);
  parentPort.postMessage({ id, score, warning: feedback.warning || null, suggestions: feedback.suggestions });
});
`;

interface Pending {
  resolve: (estimate: StrengthEstimate) => void;
  reject: (error: Error) => void;
}

/**
 * zxcvbn-ts in a worker thread: estimating a password's strength is CPU work
 * (tens of milliseconds) that must not stall the event loop, like hashing.
 */
@Injectable()
export class StrengthEstimator implements OnModuleDestroy {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  estimate(password: string, userInputs: string[]): Promise<StrengthEstimate> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.running().postMessage({ id, password, userInputs });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.terminate();
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        core: require.resolve('@zxcvbn-ts/core'),
        common: require.resolve('@zxcvbn-ts/language-common'),
        english: require.resolve('@zxcvbn-ts/language-en'),
        options: ESTIMATOR_OPTIONS,
      },
      resourceLimits: WORKER_HEAP_LIMITS,
    });
    worker.unref();
    worker.on(
      'message',
      ({ id, ...estimate }: StrengthEstimate & { id: number }) => {
        this.pending.get(id)?.resolve(estimate);
        this.pending.delete(id);
      },
    );
    const fail = (error: Error) => {
      this.worker = undefined;
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`password strength worker exited (${code})`)),
    );
    this.worker = worker;
    return worker;
  }
}
