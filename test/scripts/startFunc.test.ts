/**
 * `npm run start:func`: local.settings.json from the sample, a clear refusal without Core Tools, and with it
 * `func start` in the app folder while Azurite and the simulator listen. Core Tools is a stand-in script here
 * (the real one is not installable on CI): it records what it was given and checks the ports it would use.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CORE_TOOLS_INSTALL_URL, localAzuritePorts, localSimulatorPort, main } from '../../scripts/startFunc';
import { azuriteConnectionString } from '../../tools/host/settings';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

jest.setTimeout(60_000);

let dir: string;
let app: string;
let bin: string;
let stderr: string;
let stdout: string;

const SAMPLE = {
  IsEncrypted: false,
  Values: {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    PARTNER_API_BASE_URL: 'http://localhost:7080',
  },
};

function fakeFunc(script: string): void {
  const file = path.join(bin, 'func');
  writeFileSync(file, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo 4.9.9; exit 0; fi\n${script}\n`);
  chmodSync(file, 0o755);
}

function env(): NodeJS.ProcessEnv {
  return { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'start-func-'));
  app = path.join(dir, 'app');
  bin = path.join(dir, 'bin');
  mkdirSync(app);
  mkdirSync(bin);
  writeFileSync(path.join(app, 'local.settings.sample.json'), JSON.stringify(SAMPLE));
  stderr = '';
  stdout = '';
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

test('without Core Tools: local.settings.json from the sample, the install link, exit 1, nothing started', async () => {
  const code = await main(['--app', app], env());
  expect(code).toBe(1);
  expect(stderr).toContain('Azure Functions Core Tools (func) is not installed');
  expect(stderr).toContain(CORE_TOOLS_INSTALL_URL);
  expect(stdout).not.toMatch(/Azurite:|simulator:|func start/);
  expect(JSON.parse(readFileSync(path.join(app, 'local.settings.json'), 'utf8'))).toEqual(SAMPLE);
});

test('keeps an existing local.settings.json', async () => {
  const own = { IsEncrypted: false, Values: { AzureWebJobsStorage: 'elsewhere', PARTNER_API_BASE_URL: '' } };
  writeFileSync(path.join(app, 'local.settings.json'), JSON.stringify(own));
  fakeFunc('exit 0');
  expect(await main(['--app', app], env())).toBe(0);
  expect(JSON.parse(readFileSync(path.join(app, 'local.settings.json'), 'utf8'))).toEqual(own);
  // Storage and partner API point elsewhere: neither Azurite nor the simulator is started.
  expect(stdout).not.toMatch(/Azurite:|simulator:/);
});

test('Azurite and the simulator are started only for settings that point at this machine', () => {
  expect(localAzuritePorts('UseDevelopmentStorage=true')).toEqual({ blob: 10000, queue: 10001, table: 10002 });
  expect(localAzuritePorts(azuriteConnectionString({ blob: 1, queue: 2, table: 3 }))).toEqual({
    blob: 1,
    queue: 2,
    table: 3,
  });
  expect(
    localAzuritePorts(
      'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=eA==;EndpointSuffix=core.windows.net',
    ),
  ).toBeUndefined();
  expect(localAzuritePorts(undefined)).toBeUndefined();
  expect(localSimulatorPort('http://localhost:7080')).toBe(7080);
  expect(localSimulatorPort('https://cloudpartner.azure.com')).toBeUndefined();
  expect(localSimulatorPort('')).toBeUndefined();
});

test('runs func start in the app folder with the options given, while Azurite and the simulator listen', async () => {
  // Free ports rather than 10000-10002 and 7080, which `npm start` tests may hold at the same time.
  const ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const simulatorPort = await freePort();
  writeFileSync(
    path.join(app, 'local.settings.sample.json'),
    JSON.stringify({
      IsEncrypted: false,
      Values: {
        ...SAMPLE.Values,
        AzureWebJobsStorage: azuriteConnectionString(ports),
        PARTNER_API_BASE_URL: `http://127.0.0.1:${simulatorPort}`,
      },
    }),
  );
  const record = path.join(dir, 'func.txt');
  const probe = path.join(dir, 'probe.js');
  const probeSource = [
    "const net = require('node:net');",
    'const open = (port) => new Promise((ok) => { const s = net.connect(port, "127.0.0.1");',
    ' s.on("connect", () => { s.end(); ok(true); }); s.on("error", () => ok(false)); });',
    `Promise.all([${ports.blob}, ${ports.queue}, ${ports.table}, ${simulatorPort}].map(open))` +
      '.then((r) => console.log(r.join(",")));',
  ].join('\n');
  writeFileSync(probe, probeSource);
  fakeFunc(
    `echo "args: $*" > ${record}\necho "cwd: $(pwd)" >> ${record}\n` +
      `"${process.execPath}" ${probe} >> ${record} 2>&1\nexit 7`,
  );
  const code = await main(['--app', app, '--', '--port', '7999'], env());
  expect(code).toBe(7); // func's exit code
  const lines = readFileSync(record, 'utf8').trim().split('\n');
  expect(lines).toEqual(['args: start --port 7999', `cwd: ${app}`, 'true,true,true,true']);
  expect(stdout).toContain('Created local.settings.json from local.settings.sample.json.');
  expect(stdout).toContain('Azure Functions Core Tools 4.9.9');
});
