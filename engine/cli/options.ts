// What every engine command shares: the --dir option, and the group API, loaded when a command
// runs (not for `sanspec --help` or the toolkit's commands).
import type { OptionSpec } from '../../contracts/cli.js';

/** `--dir DIR`: the group directory (default ./.sanspec). */
export const dirOption = {
  name: 'dir',
  value: 'dir',
  description: 'the group directory, where group up put the group',
  default: '.sanspec',
} as const satisfies OptionSpec;

/** engine/group, loaded on first use. */
export const loadGroupApi = () => import('../group/index.js');
