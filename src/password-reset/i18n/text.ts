/** A text to show in the reader's language: a key of the messages and the values it needs. */
export interface Text {
  key: string;
  values?: Record<string, unknown>;
}

export function text(key: string, values?: Record<string, unknown>): Text {
  return { key, values };
}
