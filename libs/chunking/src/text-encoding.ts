/**
 * The encodings of the text files users bring, and the rules by which the upload check (the api's
 * ContentSniffer) and the worker's reader (openTextSections) both tell them apart, so that a file is read in
 * the encoding it was accepted in:
 * - a UTF-16 byte-order mark (FF FE or FE FF) says UTF-16: what Windows Notepad saves as "Unicode";
 * - otherwise UTF-8 (a UTF-8 byte-order mark is dropped) when every byte sequence is valid UTF-8;
 * - otherwise Windows-1252 (a superset of ISO-8859-1: older Windows programs' and spreadsheets' exports), when
 *   no byte is one such text does not hold (isWindows1252Text).
 * U+0000 is never text, in any of them. Before, everything but UTF-8 was refused 415.
 */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The UTF-16 byte order a file's first two bytes name, or null when they are no UTF-16 byte-order mark. */
export function utf16ByteOrder(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * Whether `bytes` can be part of a Windows-1252 text file: no C0 control other than tab, line feed, vertical
 * tab, form feed, carriage return and escape, no DEL, and none of the five bytes Windows-1252 leaves undefined
 * (0x81, 0x8D, 0x8F, 0x90, 0x9D). Any byte sequence decodes in Windows-1252, so this is what keeps a binary
 * file without NUL bytes from being taken for text.
 */
export function isWindows1252Text(bytes: Uint8Array): boolean {
  // Indexed, not for…of: the upload check runs this over every byte of a UTF-8 upload too, and the iterator made
  // it 6× slower (0.46 s of the api's event loop for 111 MB against 0.08 s).
  for (let i = 0; i < bytes.length; i++) if (NOT_WINDOWS_1252_TEXT[bytes[i]]) return false;
  return true;
}

const NOT_WINDOWS_1252_TEXT = new Uint8Array(256);
for (let byte = 0; byte < 0x20; byte++) if (![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b].includes(byte)) NOT_WINDOWS_1252_TEXT[byte] = 1;
for (const byte of [0x7f, 0x81, 0x8d, 0x8f, 0x90, 0x9d]) NOT_WINDOWS_1252_TEXT[byte] = 1;
