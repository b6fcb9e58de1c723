// Our own tokenizer, parser and tree walker, not eval/Function/vm or a JS library: see docs/adr/0001-expression-language.md.
export { compileTemplate, type CompiledTemplate } from './template.js';
export { formatValue } from './format.js';
export type { ExprScope, ExprValue } from './values.js';
