// The package ships no types; this is the shape it documents (ioredis routes by it).
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0-16383) of a key, hash tags honoured. */
  function generate(key: string | Buffer): number;
  namespace generate {
    /** The slot shared by every key, or -1 when they are not all in one slot. */
    function generateMulti(keys: readonly (string | Buffer)[]): number;
  }
  export default generate;
}
