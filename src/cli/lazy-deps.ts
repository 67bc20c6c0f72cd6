// Heavy UI dependencies, loaded only when a prompt or spinner is really shown. Static
// re-exports here so the bundle keeps their named exports (see yaml-out.ts).
export { confirm, input } from '@inquirer/prompts';
export { default as ora } from 'ora';
