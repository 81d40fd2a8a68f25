"""Knowledge base: Indonesian articles, hybrid (dense + lexical) retrieval, FAISS index on disk."""
