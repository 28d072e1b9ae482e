/** The Lua scripts of `RedisCounterStore`, one file each, built from `helpers.ts`. */
export { ADD_REPUTATION, GET_REPUTATION } from './add-reputation.ts';
export { COUNT_REFRESH } from './count-refresh.ts';
export { PRECHECK_ACCOUNT } from './precheck-account.ts';
export { PRECHECK_COUNT_RADIX, type PrecheckIpConfig, precheckIpScript } from './precheck-ip.ts';
export { RECORD_ACCOUNT } from './record-account.ts';
export { RECORD_IP } from './record-ip.ts';
export { SET_BLOCK } from './set-block.ts';
export { UNBLOCK } from './unblock.ts';
