export {
  Chunk,
  ChunkingOptions,
  DEFAULT_CHUNKING,
  MAX_CHUNK_TOKENS,
  MIN_CHUNK_TOKENS,
  PageText,
} from './chunking-options';
export { Chunker } from './chunker';
export { normaliseCharacters } from './cleaning/characters';
export { PageCleaner, TEXT_CLEANING_VERSION } from './cleaning/page-cleaner';
export { DEFAULT_SECTION_CHARS, SectionSplitter, splitTextIntoSections } from './sections';
export { countTokens, countTokensWithin, TokensWithin } from './tokenizer';
export { isWindows1252Text, TextEncoding, utf16ByteOrder } from './text-encoding';
