import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Prints the gzipped size of the built JavaScript and fails the build above `maxBytes`. */
export function gzipBudget(options: { readonly maxBytes: number }): Plugin {
  return {
    name: 'tork-gzip-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let total = 0;
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk') total += gzipSync(output.code).length;
      }
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      this.info(`JavaScript: ${kb(total)} gzipped (budget ${kb(options.maxBytes)})`);
      if (total > options.maxBytes)
        this.error(`the JavaScript is ${kb(total)} gzipped, over the budget of ${kb(options.maxBytes)}`);
    },
  };
}
