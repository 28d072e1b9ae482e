export {
  type ActiveAdminSession,
  AdminSessionStore,
  type AdminSessionStoreOptions,
  isCsrfTokenValid,
  type NewAdminSession,
} from './admin-session-store.ts';
