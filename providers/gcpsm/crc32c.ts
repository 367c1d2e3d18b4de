// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Secret Manager puts in
// `payload.dataCrc32c`. Hand-written because no installed library computes it (node:zlib's
// crc32 is the IEEE polynomial, a different checksum); it is a few lines and standard.
const table = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  table[n] = c >>> 0;
}

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
