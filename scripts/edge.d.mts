export function pathDecodes(url: string): boolean;
export const MALFORMED_PATH_BODY: string;
