// workerd: the module worker test/fetch/runtimes.test.ts bundles (with esbuild) into one ES
// module, as Wrangler would: workerd loads no node_modules and no CommonJS by itself.
import * as fetchEntry from 'cors-safety/fetch';
import { application } from './app.mjs';

const handler = application(fetchEntry);

export default {
  fetch: (request, env, ctx) => handler(request, env, ctx),
};
