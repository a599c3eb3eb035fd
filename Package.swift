// swift-tools-version: 6.1
import PackageDescription

// Guichê — a self-hosted RAG chatbot over llama.cpp.
// llama.cpp comes from the pinned llama-cpp-python wheel: run `script/bootstrap` first (it writes
// .deps/pkgconfig/llama.pc); the scripts in script/ export PKG_CONFIG_PATH for `swift build`.
let llamaDeps = "\(Context.packageDirectory)/.deps"

let package = Package(
    name: "Guiche",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "guiche", targets: ["GuicheCLI"]),
        .executable(name: "retrieval-bench", targets: ["RetrievalBench"]),
        .executable(name: "answer-bench", targets: ["AnswerBench"]),
        .library(name: "LlamaRuntime", targets: ["LlamaRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        /// llama.cpp's C API (llama.h), located through pkg-config.
        .systemLibrary(name: "CLlama", pkgConfig: "llama"),
        /// The Swift binding: models, tokenizer, chat templates, embeddings, batched generation.
        .target(
            name: "LlamaRuntime",
            dependencies: [
                "CLlama", "CVectorMath",
                .product(name: "Logging", package: "swift-log"),
            ],
            // script/bootstrap links .deps/include and .deps/lib to llama.cpp's headers and libraries, so a
            // plain `swift build` works without PKG_CONFIG_PATH and binaries run without LD_LIBRARY_PATH.
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llamaDeps)/include"])],
            linkerSettings: [.unsafeFlags(["-L\(llamaDeps)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(llamaDeps)/lib"])]
        ),
        /// Documents to text (txt, md, csv, json, html, pdf, docx) and text to chunks that follow
        /// the structure of Portuguese legal texts.
        .target(
            name: "DocumentIngestion",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        /// Dot products of a query with many vectors, dispatched at run time to AVX-512F, AVX2 + FMA
        /// or portable C; the sparse head's encoder on top of them.
        .target(name: "CVectorMath", cSettings: [.unsafeFlags(["-O3"])]),
        /// The RAG core: index store (SQLite through GRDB), folder sync, hybrid retrieval, answers.
        .target(
            name: "RAGCore",
            dependencies: [
                "LlamaRuntime", "DocumentIngestion", "CVectorMath",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("vocabulario.txt"), .copy("perguntas-fora-do-dominio.txt")]
        ),
        /// The replicated index on PostgreSQL + pgvector (`DATABASE_URL`): the same `IndexStore` as
        /// SQLite, shared by several rag replicas.
        .target(
            name: "PostgresStore",
            dependencies: [
                "RAGCore", "DocumentIngestion", "LlamaRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// `guiche eval`: question sets, scoring (hit@k, MRR, key facts, refusals) and reports.
        .target(name: "Evaluation", dependencies: ["RAGCore"]),
        /// The services' contract: every request, response, event and health type of the embedding
        /// and generator services (OpenAI's chat completions included), the error body, and the
        /// Server-Sent Events framing, shared by the servers and their clients.
        .target(
            name: "GuicheAPI",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
        /// Typed clients of the model services over their replicas, and the RAG core's models
        /// behind them (`RemoteEmbedding`, `RemoteGeneration`).
        .target(
            name: "ServiceClients",
            dependencies: [
                "GuicheAPI", "ServiceSupport", "RAGCore", "LlamaRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// What every HTTP service shares: OpenAI-shaped JSON errors, request decoding, metrics,
        /// configuration and logging.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "LlamaRuntime", "GuicheAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        /// embedding-service: `POST /embed`, `POST /v1/embeddings`.
        .target(
            name: "EmbeddingService",
            dependencies: ["LlamaRuntime", "ServiceSupport", "GuicheAPI", .product(name: "Hummingbird", package: "hummingbird")],
            resources: [.copy("openapi.yaml")]
        ),
        /// generator-service: `POST /generate`, `POST /v1/chat/completions`.
        .target(
            name: "GeneratorService",
            dependencies: [
                "LlamaRuntime", "ServiceSupport", "GuicheAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.yaml")]
        ),
        /// rag-service: `POST /chat`, `/ingest`, `/documents` over the RAG core.
        .target(
            name: "RAGService",
            dependencies: [
                "RAGCore", "DocumentIngestion", "LlamaRuntime", "ServiceSupport", "GuicheAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Web")]
        ),
        /// The `guiche` command line.
        .executableTarget(
            name: "GuicheCLI",
            dependencies: [
                "LlamaRuntime",
                "ServiceSupport",
                "EmbeddingService",
                "GeneratorService",
                "RAGService",
                "RAGCore",
                "PostgresStore",
                "Evaluation",
                "GuicheAPI",
                "ServiceClients",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        /// `retrieval-bench`: Guichê's side of bench/retrieval.py (store, load, exact search).
        .executableTarget(
            name: "RetrievalBench",
            dependencies: ["RAGCore", "DocumentIngestion", "LlamaRuntime", .product(name: "Logging", package: "swift-log")],
            path: "bench/Sources/RetrievalBench"
        ),
        /// `answer-bench`: first token and whole answer, before and after grounded answers.
        .executableTarget(
            name: "AnswerBench",
            dependencies: ["RAGCore", "DocumentIngestion", "LlamaRuntime", .product(name: "Logging", package: "swift-log")],
            path: "bench/Sources/AnswerBench"
        ),
        /// The real models, loaded once per test process, for every test target.
        .target(name: "TestSupport", dependencies: ["LlamaRuntime"], path: "Tests/TestSupport"),
        .testTarget(
            name: "LlamaRuntimeTests",
            dependencies: ["LlamaRuntime", "TestSupport"]
        ),
        .testTarget(
            name: "DocumentIngestionTests",
            dependencies: ["DocumentIngestion", "LlamaRuntime", "TestSupport"]
        ),
        .testTarget(
            name: "RAGCoreTests",
            dependencies: [
                "RAGCore", "DocumentIngestion", "LlamaRuntime", "TestSupport", "PostgresStore", "CVectorMath",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "RAGCore", "DocumentIngestion", "LlamaRuntime", "TestSupport"]
        ),
        .testTarget(name: "GuicheAPITests", dependencies: ["GuicheAPI"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "EmbeddingService", "GeneratorService", "RAGService", "RAGCore", "ServiceSupport", "LlamaRuntime", "TestSupport",
                "GuicheAPI", "ServiceClients",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
