// The JSON Schema (draft 2020-12) of the observable status, CF-2, as published: it is the TypeBox
// schema of contracts/status.ts, from which the TypeScript types are derived too.
export { GroupStatusSchema as groupStatusSchema } from '../contracts/status.js';
