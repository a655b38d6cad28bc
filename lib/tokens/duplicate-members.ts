/**
 * True when a JSON object text names the same top-level member twice. JSON.parse silently keeps
 * the last one, while another parser might keep the first: a token that relies on that ambiguity
 * (two `sub`, two `alg`) is refused instead of being read one way here and another way elsewhere.
 * Only top-level names matter for JOSE headers and JWT claims.
 */
export function hasDuplicateMembers(json: string): boolean {
  const seen = new Set<string>();
  let depth = 0;
  let expectingKey = false;
  for (let i = 0; i < json.length; i += 1) {
    const ch = json[i];
    if (ch === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectingKey) {
        // Decode escapes so "s\u0075b" and "sub" count as the same name; a name without a
        // backslash is its own text (the common case, read without a parse: this runs per token).
        let name: string;
        const raw = json.slice(i + 1, end);
        if (!raw.includes('\\')) name = raw;
        else {
          try {
            name = JSON.parse(json.slice(i, end + 1)) as string;
          } catch {
            return true;
          }
        }
        if (seen.has(name)) return true;
        seen.add(name);
        expectingKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      depth += 1;
      expectingKey = depth === 1 && ch === '{';
    } else if (ch === '}' || ch === ']') {
      depth -= 1;
    } else if (ch === ',' && depth === 1) {
      expectingKey = true;
    }
  }
  return false;
}
