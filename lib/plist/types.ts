// The values a property list holds (XML or binary) and the error every refusal throws.
export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

export class PlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlistError";
  }
}
