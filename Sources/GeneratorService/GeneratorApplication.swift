import Foundation
import Hummingbird
import LlamaRuntime
import Logging
import ServiceSupport

/// Settings of the generator service.
public struct GeneratorServiceSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "0.0.0.0", port: Int = 8002) {
        self.host = host
        self.port = port
    }
}

/// The generator service's router: `/generate`, `/v1/chat/completions`, `/health`, `/metrics`, `/openapi.yaml`.
public func buildGeneratorRouter(generator: Generator, metrics: ServiceMetrics) throws -> Router<ServiceRequestContext> {
    let controller = GeneratorController<ServiceRequestContext>(
        generator: generator, metrics: GenerationMetrics(metrics: metrics, generator: generator))
    return try makeServiceRouter(metrics: metrics, openAPIDocument: generatorOpenAPIDocument, routes: controller.addRoutes)
}

/// The generator service as a Hummingbird application (what `guiche serve generator` runs).
public func buildGeneratorApplication(
    generator: Generator, settings: GeneratorServiceSettings, metrics: ServiceMetrics = ServiceMetrics(), logger: Logger
) throws -> some ApplicationProtocol {
    Application(
        router: try buildGeneratorRouter(generator: generator, metrics: metrics),
        server: serviceHTTPServer(),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "guiche-generator"),
        logger: logger)
}

/// The OpenAPI document of the generator service (Sources/GeneratorService/openapi.yaml).
public let generatorOpenAPIDocument = Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
