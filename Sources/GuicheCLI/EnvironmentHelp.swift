/// The settings read only from the environment (no command-line option), listed under every
/// command's `--help` so that `--help` and the README's table name the same variables (a test
/// compares them with what the code reads).
let environmentHelp = """
    Also read from the environment (see the README's configuration table):
      ANSWER_MODE              extrativa (default: the evidence quoted) or gerada (the chat model writes, checked)
      REFUSAL_THRESHOLD        fixed floor (0-1) on the question-passage similarity (default: calibrated per collection)
      SYSTEM_PROMPT            the chat model's instructions (ANSWER_MODE=gerada)
      MAX_ANSWER_TOKENS        longest model answer in tokens (default 160)
      EMBEDDING_BATCH_SIZE     texts per embedding pass (default 32)
      DATABASE_URL             postgres://user:password@host:port/database: the index on PostgreSQL + pgvector, shared by rag replicas (default: SQLite)
      INDEX_REFRESH_SECONDS    how often a rag replica reloads the index another one changed (default 5)
      INGEST_MAX_REMOVED_SHARE most of the indexed documents one sync removes unless forced (default 0.5)
      EMBEDDING_LONG_INPUTS    reject (default) or window: texts beyond the embedding model's window
      EMBEDDING_QUERY_PREFIX, EMBEDDING_DOCUMENT_PREFIX   e5-style prefixes (default: those in the model)
      SPARSE_HEAD              the embedding model's sparse head: auto (default: MODEL.sae.bin beside the GGUF, if there), off, or a path
      API_KEYS                 rag service keys, 'consulta:<sha256>' or 'admin:<sha256>' entries (make one with `guiche key`); none: questions open
      API_KEYS_FILE            a file of such entries, one or more per line, # comments
      ADMIN_OPEN               true: without keys, admin routes answer other machines too (default false: this machine only)
      RATE_LIMIT_PER_MINUTE    questions a minute per client (key, else address); beyond: 429 (default 0: no limit)
      MAX_PENDING_QUESTIONS    questions the rag service holds at once; more get 503 + Retry-After (default 64)
      MAX_QUESTION_WAIT_SECONDS a question expecting a longer wait behind the others (at the busy pace) gets 503 at once (default 30)
      CORS_ALLOWED_ORIGINS     web origins besides the service's own that may call it from a browser (comma-separated, * any)
      SHUTDOWN_GRACE_SECONDS   on SIGTERM, how long requests may finish before they are cancelled (default 8)
      LOGS_DIR                 log folder (default app/logs; {host} becomes the host name)
      LOG_FORMAT               text (default) or json: one JSON object per line, an access line per request
      GUICHE_LLAMA_LOG         llama.cpp's log level: debug, info, warning, error (default), none
    """
