/**
 * True when a JSON object text names the same top-level member twice. JSON.parse silently keeps
 * the last one, while another parser might keep the first: a token that relies on that ambiguity
 * (two `sub`, two `alg`) is refused instead of being read one way here and another way elsewhere.
 * Only top-level names matter for JOSE headers and JWT claims.
 *
 * It counts the member names written at the top level of `json` and compares the count with the
 * members JSON.parse kept in `parsed`: a repeated name, written plainly or with escapes
 * ("s\u0075b" is "sub"), leaves fewer members than names. Counting needs no decoding and no set,
 * which matters because this runs on every token the authorizer sees.
 */
export function hasDuplicateMembers(json: string, parsed: Record<string, unknown>): boolean {
  let names = 0;
  let depth = 0;
  let expectingKey = false;
  for (let i = 0; i < json.length; i += 1) {
    const ch = json.charCodeAt(i);
    if (ch === QUOTE) {
      let end = i + 1;
      while (end < json.length && json.charCodeAt(end) !== QUOTE) end += json.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (depth === 1 && expectingKey) {
        names += 1;
        expectingKey = false;
      }
      i = end;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      depth += 1;
      expectingKey = depth === 1 && ch === OPEN_BRACE;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      depth -= 1;
    } else if (ch === COMMA && depth === 1) {
      expectingKey = true;
    }
  }
  return names !== Object.keys(parsed).length;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
