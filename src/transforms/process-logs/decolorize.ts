/**
 * `decolorize`: Alloy's `stage.decolorize`. Removes ANSI escape sequences (colours, cursor
 * movement) from the line, with the same pattern Alloy uses.
 */
import { type Stage, simpleStage } from './stage.js';

// The pattern of github.com/acarl005/stripansi, which Alloy uses.
const ESC = String.fromCharCode(0x1b);
const CSI = String.fromCharCode(0x9b);
const BEL = String.fromCharCode(0x07);
const ANSI = new RegExp(
  `[${ESC}${CSI}][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?${BEL})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))`,
  'g',
);

/**
 * Strips ANSI colour codes from lines.
 *
 * @example
 * ```ts
 * processLogs(decolorize());
 * ```
 */
export function decolorize(): Stage {
  return simpleStage('decolorize', (entry) => {
    const line = entry.line;
    if (line.includes(ESC) || line.includes(CSI)) entry.line = line.replace(ANSI, '');
    return undefined;
  });
}
