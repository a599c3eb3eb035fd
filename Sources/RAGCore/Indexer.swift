import DocumentIngestion
import Foundation
import LlamaRuntime
import Logging
import Synchronization

/// What a sync did.
public struct IngestReport: Sendable, Codable, Equatable {
    public struct Failure: Sendable, Codable, Equatable {
        public var path: String
        public var reason: String
    }

    public var added: [String] = []
    public var updated: [String] = []
    public var removed: [String] = []
    public var unchanged: [String] = []
    public var failed: [Failure] = []
    /// Files and folders under the data folder that were not read, with why (an unsupported file
    /// type, a folder that cannot be listed).
    public var skipped: [Failure] = []
    /// Chunks embedded by this sync (a changed document's chunks whose embedded text is unchanged
    /// keep their vectors and are not counted).
    public var chunksEmbedded = 0
    /// The embedding model's tokens in the texts embedded.
    public var tokensEmbedded = 0
    /// The embedding model changed, so every document was embedded again.
    public var fullReembed = false
    /// Where the sync's time went (indexed documents only).
    public var timings = Timings()

    /// Seconds spent reading and converting files, chunking them, embedding and storing.
    public struct Timings: Sendable, Codable, Equatable {
        public var loading = 0.0
        public var chunking = 0.0
        public var embedding = 0.0
        public var storing = 0.0

        enum CodingKeys: String, CodingKey {
            case loading = "carregamento", chunking = "divisao", embedding = "embedding", storing = "gravacao"
        }
    }

    enum CodingKeys: String, CodingKey {
        case added, updated, removed, unchanged, failed, skipped
        case chunksEmbedded = "chunks_embedded"
        case tokensEmbedded = "tokens_embedded"
        case fullReembed = "full_reembed"
        case timings = "tempos_s"
    }
}

/// Why a sync refused to run: it would have emptied or mostly emptied the index by mistake. Nothing
/// was changed.
public enum IngestRefusal: Error, Equatable, CustomStringConvertible {
    /// The data folder does not exist (a typo, an unmounted volume).
    case missingFolder(String)
    /// The path given is a file, not a folder.
    case notAFolder(String)
    /// More than the allowed share of the indexed documents would be removed.
    case massRemoval(removing: Int, of: Int, allowedShare: Double)
    /// A single document to index is not inside the data folder.
    case outsideFolder(file: String, folder: String)
    /// A single document cannot be indexed before the whole folder was, with this model and chunking.
    case needsFullSync

    public var description: String {
        switch self {
        case .missingFolder(let path):
            "data folder \(path) does not exist: nothing was indexed or removed (the existing index is kept)"
        case .notAFolder(let path):
            "\(path) is a file, not a folder: give the data folder (DATA_DIR) that holds it; nothing was indexed or removed"
        case .massRemoval(let removing, let total, let share):
            "this sync would remove \(removing) of the \(total) indexed documents (more than \(Int(share * 100)) %): "
                + "nothing was changed; if the documents were really deleted, force it (guiche ingest --allow-mass-removal, "
                + "POST /ingest {\"forcar\": true})"
        case .outsideFolder(let file, let folder):
            "\(file) is not inside the data folder \(folder): copy it there and index it (a sync keeps the index equal to "
                + "the folder, so a document outside it would be removed again); nothing was indexed"
        case .needsFullSync:
            "the collection was never indexed with this embedding model and chunking: index the whole data folder first "
                + "(guiche ingest); nothing was indexed"
        }
    }
}

/// Keeps a collection equal to a folder: new and changed documents are chunked and embedded,
/// deleted ones disappear, unchanged ones cost one hash. A different embedding model (name,
/// dimensions or file) empties the collection first and re-embeds everything (logged).
public actor Indexer {
    public let dataDirectory: URL
    private let store: any IndexStore
    private let embedding: any TextEmbedding
    private let chunker: LegalChunker
    private let batchSize: Int
    private let logger: Logger
    /// Most of the indexed documents one sync may remove without being forced (`INGEST_MAX_REMOVED_SHARE`).
    public let maxRemovedShare: Double

    /// - Parameters:
    ///   - chunkSize, chunkOverlap: `CHUNK_SIZE` / `CHUNK_OVERLAP`, in embedding-model tokens; the
    ///     size is lowered to what the model reads once the chunk's heading is added.
    ///   - batchSize: texts per embedding call (`EMBEDDING_BATCH_SIZE`).
    public init(
        dataDirectory: URL, store: any IndexStore, embedding: any TextEmbedding,
        chunkSize: Int, chunkOverlap: Int, batchSize: Int, maxRemovedShare: Double = 0.5, logger: Logger
    ) {
        self.maxRemovedShare = maxRemovedShare
        self.dataDirectory = dataDirectory.standardizedFileURL
        self.store = store
        self.embedding = embedding
        let size = min(chunkSize, embedding.maxInputTokens - Self.headingAllowance)
        self.chunker = LegalChunker(size: max(16, size), overlap: chunkOverlap) { text in
            (try? embedding.documentTokenCount(text)) ?? Int.max
        }
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// How documents are cut and indexed: a change (CHUNK_SIZE, CHUNK_OVERLAP, or the pipeline's
    /// own version) means every document is indexed again.
    var chunkingSettings: String {
        "size=\(chunker.size) overlap=\(chunker.overlap) pipeline=\(Self.pipelineVersion)"
    }

    /// Raised when chunking or keyword terms change in a way that needs existing indexes rebuilt.
    static let pipelineVersion = 9

    /// Tokens kept free in every chunk for the "title — location" line embedded with it.
    static let headingAllowance = 48

    /// Brings the collection in line with the folder. `progress` hears (files done, files in all,
    /// the current file) as each file is handled.
    /// Syncs the folder into the collection. Refuses (`IngestRefusal`, nothing changed) when the
    /// folder is missing or is a file, or when it would remove more than `maxRemovedShare` of the
    /// indexed documents — unless `allowMassRemoval`.
    public func sync(allowMassRemoval: Bool = false, progress: (@Sendable (Int, Int, String) -> Void)? = nil) async throws -> IngestReport {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDirectory.path, isDirectory: &isFolder) else {
            throw IngestRefusal.missingFolder(dataDirectory.path)
        }
        guard isFolder.boolValue else { throw IngestRefusal.notAFolder(dataDirectory.path) }
        let (files, skipped) = try scan()
        var known = Dictionary(uniqueKeysWithValues: try await store.documents().map { ($0.path, $0) })
        let removing = known.keys.count { files[$0] == nil }
        if !allowMassRemoval, removing > 0, Double(removing) > maxRemovedShare * Double(known.count) {
            throw IngestRefusal.massRemoval(removing: removing, of: known.count, allowedShare: maxRemovedShare)
        }
        var report = IngestReport()
        let model = embedding.fingerprint
        let stored = try await store.embeddingModel()
        let storedChunking = try await store.chunkingSettings()
        if stored != model || (stored != nil && storedChunking != chunkingSettings) {
            if let stored {
                logger.notice("embedding model or chunking changed: re-embedding every document", metadata: [
                    "from": "\(stored), \(storedChunking ?? "earlier chunking")", "to": "\(model), \(chunkingSettings)",
                ])
                report.fullReembed = true
            }
            try await store.reset(for: model, chunking: chunkingSettings)
            known = [:]
        }
        report.skipped = skipped
        for skip in skipped { logger.notice("not indexed", metadata: ["path": "\(skip.path)", "reason": "\(skip.reason)"]) }
        for (done, (path, url)) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            progress?(done, files.count, path)
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                report.failed.append(.init(path: path, reason: "cannot read: \(error.localizedDescription)"))
                continue
            }
            try await index(data, of: path, at: url, previous: known[path], into: &report)
        }
        for path in known.keys.sorted() where files[path] == nil {
            try await store.remove(documentPath: path)
            report.removed.append(path)
            logger.info("removed", metadata: ["document": "\(path)"])
        }
        progress?(files.count, files.count, "")
        return report
    }

    /// Indexes one file's `data` as document `path`, unless its content is `previous`'s.
    private func index(_ data: Data, of path: String, at url: URL, previous: StoredDocument?, into report: inout IngestReport) async throws {
        let hash = ContentHash.sha256(data)
        if let previous, previous.contentHash == hash {
            report.unchanged.append(path)
            return
        }
        do {
            let clock = ContinuousClock()
            var started = clock.now
            func lap() -> Double {
                let now = clock.now
                defer { started = now }
                return (now - started).inMilliseconds / 1000
            }
            let document = try await DocumentLoader.loadOffActor(url, path: path)
            report.timings.loading += lap()
            let title = document.title
            let chunks = chunker.chunk(document)
            let chosen = chunks.map { embeddingText($0.text, location: $0.location, context: $0.context, title: title) }
            let texts = chosen.map(\.text)
            report.timings.chunking += lap()
            // A changed document keeps the vectors of the units whose embedded text did not change.
            var known: [String: TextVectors] = [:]
            if previous != nil {
                let old = try await store.chunks(documentPath: path)
                let vectors = try await store.vectors(ids: old.map(\.id))
                for chunk in old {
                    known[embeddingText(chunk.text, location: chunk.location, context: chunk.context, title: chunk.documentTitle).text] =
                        vectors[chunk.id]
                }
            }
            let missing = texts.indices.filter { known[texts[$0]] == nil }
            let embedded = try await embed(missing.map { texts[$0] })
            for (index, vector) in zip(missing, embedded) { known[texts[index]] = vector }
            let vectors = texts.map { known[$0]! }
            report.tokensEmbedded += missing.reduce(0) { $0 + chosen[$1].tokens }
            report.timings.embedding += lap()
            try await store.replace(
                StoredDocument(path: path, contentHash: hash, format: document.format.rawValue, title: title,
                               chunkCount: chunks.count, indexedAt: Date()),
                chunks: zip(chunks, vectors).map { NewChunk(chunk: $0, vector: $1.dense, sparse: $1.sparse, documentTitle: title) })
            report.timings.storing += lap()
            report.chunksEmbedded += missing.count
            if previous == nil { report.added.append(path) } else { report.updated.append(path) }
            logger.info("indexed", metadata: ["document": "\(path)", "chunks": "\(chunks.count)"])
        } catch let error as LoadError {
            report.failed.append(.init(path: path, reason: error.reason))
            logger.warning("document skipped", metadata: ["document": "\(path)", "reason": "\(error.reason)"])
        }
    }

    /// Indexes one document of the data folder — added or updated — and leaves every other as it
    /// is (`guiche ingest FILE`). Refuses, changing nothing, a file outside the folder, or a
    /// collection not yet indexed with this embedding model and chunking.
    public func syncDocument(at url: URL) async throws -> IngestReport {
        let file = url.standardizedFileURL.resolvingSymlinksInPath()
        let folder = dataDirectory.resolvingSymlinksInPath()
        guard file.path.hasPrefix(folder.path + "/") else { throw IngestRefusal.outsideFolder(file: url.path, folder: dataDirectory.path) }
        guard try await store.embeddingModel() == embedding.fingerprint, try await store.chunkingSettings() == chunkingSettings else {
            throw IngestRefusal.needsFullSync
        }
        let path = String(file.path.dropFirst(folder.path.count + 1))
        var report = IngestReport()
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            report.failed.append(.init(path: path, reason: "cannot read: \(error.localizedDescription)"))
            return report
        }
        let previous = try await store.documents().first { $0.path == path }
        try await index(data, of: path, at: file, previous: previous, into: &report)
        return report
    }

    /// The texts that may be embedded for a chunk, richest first: its document and location, the
    /// opening of the units it belongs to, then its text without the portal's annotations
    /// (contextual retrieval); the same without the context; the text alone.
    static func embeddingTexts(_ text: String, location: String, context: String?, title: String) -> [String] {
        let heading = location.isEmpty ? title : "\(title) — \(location)"
        let text = LegalAnnotations.strip(text)
        var texts = [heading + "\n" + text, text]
        if let context { texts.insert(heading + "\n" + context + "\n" + text, at: 0) }
        return texts
    }

    /// The richest of a chunk's `embeddingTexts` that fits the model's window — what is embedded —
    /// with its size in tokens (prefix included; 0 when it cannot be counted).
    func embeddingText(_ text: String, location: String, context: String?, title: String) -> (text: String, tokens: Int) {
        let candidates = Self.embeddingTexts(text, location: location, context: context, title: title)
        for candidate in candidates {
            if let tokens = try? embedding.documentTokenCount(candidate), tokens <= embedding.maxInputTokens { return (candidate, tokens) }
        }
        return (candidates.last!, (try? embedding.documentTokenCount(candidates.last!)) ?? 0)
    }

    private func embed(_ texts: [String]) async throws -> [TextVectors] {
        var vectors: [TextVectors] = []
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            vectors += try await embedding.vectors(Array(texts[start..<min(start + batchSize, texts.count)]), kind: .document)
        }
        return vectors
    }

    /// Supported files under the data folder (hidden files and folders skipped), by relative path,
    /// and what was left out with why: files of unsupported types, folders that cannot be listed.
    func scan() throws -> (files: [String: URL], skipped: [IngestReport.Failure]) {
        var files: [String: URL] = [:]
        let unreadable = Mutex<[IngestReport.Failure]>([])
        let root = dataDirectory.path.hasSuffix("/") ? dataDirectory.path : dataDirectory.path + "/"
        func relative(_ url: URL) -> String {
            let path = url.standardizedFileURL.path
            return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : url.lastPathComponent
        }
        guard let enumerator = FileManager.default.enumerator(
            at: dataDirectory, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles],
            errorHandler: { url, error in
                unreadable.withLock { $0.append(.init(path: relative(url), reason: "cannot list: \(error.localizedDescription)")) }
                return true
            })
        else { return (files, []) }
        var skipped: [IngestReport.Failure] = []
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            guard DocumentFormat(fileExtension: url.pathExtension) != nil else {
                let type = url.pathExtension.isEmpty ? "no extension" : ".\(url.pathExtension)"
                skipped.append(.init(path: relative(url), reason: "unsupported file type (\(type))"))
                continue
            }
            files[relative(url)] = url
        }
        return (files, (skipped + unreadable.withLock { $0 }).sorted { $0.path < $1.path })
    }
}
