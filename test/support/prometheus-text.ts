export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const COMMENT = new RegExp(
  `^# (HELP ${METRIC_NAME} .*|TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped))$`,
);
const SAMPLE = new RegExp(
  `^(${METRIC_NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)$`,
);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

/**
 * Reads Prometheus' text exposition format (0.0.4) strictly: every line a
 * HELP, a TYPE or a sample, every sample of a declared metric (a histogram's
 * `_bucket`, `_sum` and `_count` belong to it). Throws on anything else.
 */
export function parsePrometheusText(text: string): Sample[] {
  const typed = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n').filter((line) => line !== '')) {
    const comment = COMMENT.exec(line);
    if (comment) {
      if (comment[2]) typed.add(comment[2]);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const [, name, labelText = '', valueText] = sample;
    if (
      !typed.has(name) &&
      !typed.has(name.replace(/_(bucket|sum|count)$/, ''))
    )
      throw new Error(`sample of an undeclared metric: ${line}`);
    const value = valueText === '+Inf' ? Infinity : Number(valueText);
    if (Number.isNaN(value)) throw new Error(`not a number: ${line}`);
    samples.push({
      name,
      labels: Object.fromEntries(
        [...labelText.matchAll(LABEL)].map(([, key, labelValue]) => [
          key,
          labelValue,
        ]),
      ),
      value,
    });
  }
  return samples;
}

/** The value of the one sample with that name and (at least) those labels; 0 when there is none, as for a counter never incremented. */
export function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const matching = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(
        ([key, value]) => sample.labels[key] === value,
      ),
  );
  if (matching.length > 1)
    throw new Error(
      `${matching.length} samples of ${name} ${JSON.stringify(labels)}`,
    );
  return matching[0]?.value ?? 0;
}
