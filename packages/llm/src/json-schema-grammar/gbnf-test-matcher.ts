/**
 * Test helper: turns a rule-free GBNF expression (literals, classes, groups, alternation,
 * quantifiers) into an anchored `RegExp`, so unit tests can check which strings it matches
 * without loading llama.cpp. Rule references are inlined from `rules` when given.
 */
export function gbnfToRegExp(expression: string, rules: Readonly<Record<string, string>> = {}): RegExp {
  return new RegExp(`^(?:${toRegExpSource(expression, rules, 0)})$`, 'u');
}

function toRegExpSource(expression: string, rules: Readonly<Record<string, string>>, depth: number): string {
  if (depth > 20) throw new Error('rules nest too deep for a regular expression');
  let out = '';
  let index = 0;
  while (index < expression.length) {
    const char = expression[index] ?? '';
    if (char === '"') {
      let end = index + 1;
      let literal = '';
      while (expression[end] !== '"') {
        if (expression[end] === '\\') {
          const next = expression[end + 1] ?? '';
          if (next === 'x') {
            literal += String.fromCharCode(parseInt(expression.slice(end + 2, end + 4), 16));
            end += 4;
            continue;
          }
          literal += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
          end += 2;
          continue;
        }
        literal += expression[end];
        end++;
      }
      out += literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      index = end + 1;
    } else if (char === '[') {
      let end = index + 1;
      while (expression[end] !== ']') end += expression[end] === '\\' ? 2 : 1;
      out += expression.slice(index, end + 1);
      index = end + 1;
    } else if (char === '(') {
      out += '(?:';
      index++;
    } else if (/[a-z]/i.test(char)) {
      const name = /^[a-zA-Z0-9-]+/.exec(expression.slice(index))?.[0] ?? '';
      const rule = rules[name];
      if (rule === undefined) throw new Error(`unknown rule ${name}`);
      out += `(?:${toRegExpSource(rule, rules, depth + 1)})`;
      index += name.length;
    } else if (char === ' ' || char === '\n') {
      index++;
    } else {
      out += char;
      index++;
    }
  }
  return out;
}
