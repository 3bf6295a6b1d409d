declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array
    decode(buf: Uint8Array | string, start?: number, end?: number, encoding?: string): unknown
  }
  export default bencode
}
