// BASELINE — NOT flux-auth. A reproduction of the origin service's stack, kept only so that
// `npm run bench:load` can measure flux-auth against what its users would otherwise run:
// Express 5, express-rate-limit 8 with rate-limit-redis, bcryptjs (cost 10), jsonwebtoken,
// users in memory, the origin's thresholds (SPEC §3): 5 failed logins per IP in 5 min, 50
// credential requests per IP per minute. Written the way the field writes it (FIELD-NOTES.md):
// count after the password check, skip successful requests, no dummy hash for unknown users.
// Configured by PORT, REDIS_URL and JWT_SECRET; prints "origin-stack listening <url>".
import { randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { RedisStore } from 'rate-limit-redis';

const secret = process.env.JWT_SECRET ?? randomBytes(32).toString('hex');
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `origin:${randomUUID()}:`;
const store = (name) =>
  new RedisStore({ sendCommand: (...args) => redis.call(...args), prefix: `${prefix}${name}:` });

const users = new Map();
const refreshTokens = new Map();

const bruteForce = rateLimit({
  windowMs: 5 * 60 * 1000,
  limit: 5,
  skipSuccessfulRequests: true,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  store: store('login'),
  message: { error: 'Too many failed attempts. Your IP has been temporarily blocked.' },
});
const botActivity = rateLimit({
  windowMs: 60 * 1000,
  limit: 50,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  store: store('bot'),
  message: { error: 'Too many signup attempts' },
});

function issueTokens(user) {
  const accessToken = jwt.sign({ sub: user.id, email: user.email }, secret, {
    expiresIn: '15m',
    algorithm: 'HS256',
  });
  const refreshToken = randomBytes(32).toString('hex');
  refreshTokens.set(refreshToken, user.id);
  return { user: { id: user.id, email: user.email }, accessToken, refreshToken, expiresIn: 900 };
}

const app = express();
app.use(express.json({ limit: '16kb' }));

app.post('/api/auth/signup', botActivity, async (req, res) => {
  const { email, password, name } = req.body ?? {};
  if (typeof email !== 'string' || typeof password !== 'string' || password.length < 8) {
    return res.status(400).json({ error: 'Invalid input' });
  }
  if (users.has(email)) return res.status(409).json({ error: 'Email already registered' });
  const user = { id: randomUUID(), email, name, hash: await bcrypt.hash(password, 10) };
  users.set(email, user);
  return res.status(201).json(issueTokens(user));
});

app.post('/api/auth/login', botActivity, bruteForce, async (req, res) => {
  const { email, password } = req.body ?? {};
  const user = typeof email === 'string' ? users.get(email) : undefined;
  if (!user || typeof password !== 'string' || !(await bcrypt.compare(password, user.hash))) {
    return res.status(401).json({ error: 'Invalid email or password' });
  }
  return res.json(issueTokens(user));
});

app.post('/api/auth/refresh', (req, res) => {
  const token = req.body?.refreshToken;
  const userId = typeof token === 'string' ? refreshTokens.get(token) : undefined;
  const user = userId && [...users.values()].find((u) => u.id === userId);
  if (!user) return res.status(401).json({ error: 'Invalid refresh token' });
  refreshTokens.delete(token);
  return res.json(issueTokens(user));
});

app.get('/health', (_req, res) => res.json({ status: 'ok' }));

const server = app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`origin-stack listening http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => {
  server.close();
  redis.quit();
});
