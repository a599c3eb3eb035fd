import Logging
import RAGCore
import ServiceLifecycle

/// Keeps a rag replica's loaded index in step with the shared PostgreSQL: every `interval` it
/// reloads when another replica's ingest changed the collection (see
/// `KnowledgeBase.refreshIfChanged`), answering from the old index meanwhile. Does nothing for a
/// store only this process writes (SQLite).
public struct IndexRefresher: Service {
    let knowledge: KnowledgeBase
    let interval: Duration
    let logger: Logger

    public init(knowledge: KnowledgeBase, interval: Duration, logger: Logger) {
        self.knowledge = knowledge
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    if try await knowledge.refreshIfChanged() {
                        logger.info("index reloaded after another replica's change")
                    }
                } catch is CancellationError {
                    return
                } catch {
                    // The database may be restarting: keep answering from the loaded index, try again later.
                    logger.warning("index refresh failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
    }
}
