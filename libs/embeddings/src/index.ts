export * from './backoff';
export * from './embedding-provider';
export * from './embedding-provider.factory';
export * from './embeddings.module';
export { FeatureWeights, hashedFeatureVector, LOCAL_FEATURE_WEIGHTS, LocalHashingEmbedder } from './local-hashing-embedder';
export * from './openai-embedder';
