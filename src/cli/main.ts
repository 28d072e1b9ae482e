import { Command } from 'commander';

// Each command imports its module only when run, so `start` with a bad config fails fast.
const program = new Command()
  .name('flux-auth')
  .description('Authentication service with attack protection and security monitoring')
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
  .command('cleanup-tokens')
  .description('delete expired and revoked refresh tokens')
  .action(async () => (await import('./admin-commands.ts')).runCleanupTokens());

await program.parseAsync(process.argv);
