/**
 * A prompt on the terminal that does not echo what is typed (for passphrases and pasted private keys). The
 * prompt goes to stderr so that stdout stays clean for `key export`. Raw mode: we see every key, so Enter ends
 * the line, Backspace deletes, Ctrl-C / Ctrl-D cancel.
 */
import { KeyError } from './errors.ts'

export function stdinIsTerminal (): boolean {
  return process.stdin.isTTY
}

export async function promptHidden (question: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) throw new KeyError('cannot prompt: stdin is not a terminal', 'set SEEDPAY_PASSPHRASE, or pass --passphrase-file <file>', 'input')
  // raw mode (no echo) before the prompt shows: what is typed as soon as it appears must not be echoed
  stdin.setRawMode(true)
  process.stderr.write(question)
  stdin.resume()
  stdin.setEncoding('utf8')
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') { stdin.off('data', onData); resolve(typed); return }
          if (ch === '\u0003' || (ch === '\u0004' && typed === '')) {
            stdin.off('data', onData)
            reject(new KeyError('cancelled at the prompt', 'run the command again', 'input'))
            return
          }
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
          else if (ch >= ' ') typed += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
