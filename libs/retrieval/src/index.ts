export * from './metadata-filter';
export * from './reranked-search';
export * from './retrieval.module';
export * from './rrf';
export * from './search.service';
export * from './score-fusion';
export * from './tenant-search-slots';
