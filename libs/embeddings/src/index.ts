export * from './embedding-provider';
export * from './embedding-provider.factory';
export * from './embeddings.module';
export {
  FeatureWeights,
  hashedFeatureVector,
  LOCAL_EMBEDDING_DIMENSION,
  LOCAL_FEATURE_WEIGHTS,
  LocalHashingEmbedder,
} from './local-hashing-embedder';
export { stemWord } from './stemming';
export * from './openai-embedder';
export * from './cached-embedding-provider';
export * from './embedding-cache';
export * from './input-token-limit';
export * from './memory-embedding-cache';
export * from './redis-embedding-cache';
export * from './stop-words';
