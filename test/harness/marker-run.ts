// Runs a client program that stops at marker lines (it prints the marker and waits for a line on
// stdin): `onMarker` is called there - to read or reset the emulator's counters around the
// part of the program being measured - and then the program is let go on.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface MarkedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runWithMarkers(
  command: string,
  args: string[],
  markers: readonly string[],
  onMarker: (marker: string) => void,
  timeoutMs = 120_000,
): Promise<MarkedRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += line + '\n';
      if (markers.includes(line)) {
        onMarker(line);
        child.stdin.write('go\n');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** KEY=value lines as a map of every value printed for each key. */
export function keyedLines(stdout: string): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    lines.set(key, [...(lines.get(key) ?? []), line.slice(eq + 1)]);
  }
  return lines;
}
