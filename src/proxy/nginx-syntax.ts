/**
 * Writing values into nginx configuration text: quoting for the configuration parser, and
 * escaping of literal text inside a regular expression.
 */

/**
 * Quotes `text` as one nginx configuration token in single quotes. Inside quotes nginx's parser
 * turns `\\` into `\` and `\'` into `'` (ngx_conf_read_token), so both are escaped; everything
 * else, `;`, `{`, `#` and spaces included, is literal there.
 *
 * @example
 * ```ts
 * nginxQuote('~^https://a\\.example\\.com$'); // "'~^https://a\\\\.example\\\\.com$'"
 * ```
 */
export function nginxQuote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A line break or control character would end or corrupt the directive.
    if (code < 0x20 || code === 0x7f) throw new TypeError('cors-safety: control character in an nginx value');
  }
  return `'${text.replace(/[\\']/g, (ch) => `\\${ch}`)}'`;
}

/**
 * Escapes literal text for a PCRE (or JavaScript) pattern: every ASCII character other than a
 * letter or digit is escaped, which both dialects read as the character itself.
 *
 * @example
 * ```ts
 * regexLiteral('app.example.com'); // 'app\\.example\\.com'
 * ```
 */
export function regexLiteral(text: string): string {
  return text.replace(/[^a-zA-Z0-9]/g, (ch) => `\\${ch}`);
}
