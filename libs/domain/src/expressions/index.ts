export { compileTemplate, type CompiledTemplate } from './template.js';
export { formatValue } from './format.js';
export type { ExprScope, ExprValue } from './values.js';
