import { readFileSync } from 'node:fs';
import { Command } from 'commander';

// Same relative place from src/cli/ and dist/cli/: the package root.
const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

// Each command imports its module only when run, so `start` with a bad config fails fast.
const program = new Command()
  .name('flux-auth')
  .description('Authentication service with attack protection and security monitoring')
  .version(version, '-V, --version', 'print the flux-auth version')
  .showHelpAfterError();

program
  .command('start')
  .description('validate config, migrate (development) and serve')
  .action(async () => (await import('./start-command.ts')).runStart());
program
  .command('migrate')
  .description('apply database migrations')
  .action(async () => (await import('./admin-commands.ts')).runMigrate());
program
  .command('doctor')
  .description('check config, database, migrations, Redis and data directory')
  .action(async () => (await import('./doctor-command.ts')).runDoctorCommand());
program
  .command('create-admin')
  .argument('<email>', 'email of an existing account')
  .description('give an account the admin role')
  .action(async (email: string) => (await import('./admin-commands.ts')).runCreateAdmin(email));
program
  .command('revoke-admin')
  .argument('<email>', 'email of an admin account')
  .description('take the admin role away from an account')
  .action(async (email: string) => (await import('./admin-commands.ts')).runRevokeAdmin(email));
program
  .command('cleanup-tokens')
  .description('delete expired and revoked refresh tokens')
  .action(async () => (await import('./admin-commands.ts')).runCleanupTokens());

program
  .command('alert-test')
  .description("send a test alert to every channel (e-mail, webhook) and print each one's outcome")
  .action(async () => (await import('./alert-test-command.ts')).runAlertTest());

program
  .command('block')
  .argument('<ip>', 'IPv4 or IPv6 address (IPv6 is blocked per /64)')
  .option('--minutes <n>', 'how long', '60')
  .option('--reason <text>', 'why (kept as evidence)', 'manual block')
  .description('block an IP on every instance (Redis, or the database without it)')
  .action(async (ip: string, options: { minutes: string; reason: string }) =>
    (await import('./block-commands.ts')).runBlock(ip, options),
  );
program
  .command('unblock')
  .argument('<ip>', 'IPv4 or IPv6 address')
  .description('lift a block and clear its failure counter')
  .action(async (ip: string) => (await import('./block-commands.ts')).runUnblock(ip));
program
  .command('blocks')
  .description('list active blocks with rule, evidence and expiry')
  .action(async () => (await import('./block-commands.ts')).runListBlocks());
program
  .command('ip')
  .argument('<addr>', 'IPv4 or IPv6 address (IPv6 is scored per /64)')
  .description("an IP's reputation score and why, its active block and latest events (JSON)")
  .action(async (addr: string) => (await import('./block-commands.ts')).runIp(addr));
program
  .command('backtest')
  .requiredOption('--policy <file>', 'policy JSON to try (keys left out keep their defaults)')
  .option('--since <period>', 'how far back: 7d, 24h, 90m or an ISO 8601 time', '7d')
  .option('--json', 'print the result as JSON')
  .description(
    'replay recorded logins under another policy: blocks added or removed, IPs and accounts affected',
  )
  .action(async (options: { policy: string; since: string; json?: boolean }) =>
    (await import('./backtest-command.ts')).runBacktestCommand(options),
  );
program
  .command('verify')
  .argument('<url>', 'base URL of a running flux-auth, e.g. http://127.0.0.1:3001')
  .option('--i-own-this-host', 'allow a non-loopback target')
  .option(
    '--admin-token <token>',
    'admin access token (or FLUX_AUTH_ADMIN_TOKEN): reads the audit log, removes what verify created',
  )
  .description('run the brute-force, bot and user-agent checks against a running instance')
  .action(async (url: string, options: { iOwnThisHost?: boolean; adminToken?: string }) =>
    (await import('./verify-command.ts')).runVerify(url, options),
  );

await program.parseAsync(process.argv);
