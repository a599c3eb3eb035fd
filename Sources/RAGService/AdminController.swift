import DocumentIngestion
import Foundation
import Hummingbird
import RAGCore
import ServiceSupport

/// The organisation's side: `GET /admin` (the page), `PUT /documentos/{name}` (a document added
/// to the data folder and indexed at once, the body the file's bytes) and `DELETE
/// /documentos/{name}` (removed from the folder and the index). Admin scope (`APIKeyMiddleware`).
struct AdminController<Context: RequestContext>: Sendable {
    let knowledge: KnowledgeBase
    let web: WebController<Context>

    func addRoutes(to router: Router<Context>) {
        router.get("/admin", use: page)
        // `**` like the document view (the router takes one pattern per path); names are checked.
        router.put("/documentos/**", use: upload)
        router.post("/documentos", use: uploadForm)
        router.delete("/documentos/**", use: delete)
    }

    @Sendable func page(request: Request, context: Context) async throws -> Response {
        try web.serve("admin.html")
    }

    /// Writes the body to `DATA_DIR/<name>` and indexes it: 201 with the ingest report; 409 when a
    /// file of that name exists (unless `?substituir=true`); 422, with the file removed again, when
    /// it cannot be read as a document.
    @Sendable func upload(request: Request, context: Context) async throws -> EditedResponse<IngestResponse> {
        let name = try Self.fileName(context.parameters.getCatchAll().joined(separator: "/"))
        let bytes = try await request.body.collect(upTo: context.maxUploadSize)
        return try await add(name: name, bytes: bytes, replace: request.uri.queryParameters.get("substituir") == "true")
    }

    /// The same from an HTML form: `multipart/form-data` with one file part (its file name is the
    /// document's), and an optional `substituir=true` part.
    @Sendable func uploadForm(request: Request, context: Context) async throws -> EditedResponse<IngestResponse> {
        guard let boundary = MultipartForm.boundary(request.headers[.contentType]) else {
            throw APIError.invalidRequest("send multipart/form-data with the file (or PUT /documentos/{name} with its bytes)")
        }
        let form = try MultipartForm.parse(try await request.body.collect(upTo: context.maxUploadSize), boundary: boundary)
        guard let file = form.first(where: { $0.fileName != nil }), let fileName = file.fileName else {
            throw APIError.invalidRequest("the form has no file part", param: "arquivo")
        }
        let replace = form.first { $0.name == "substituir" }.map { String(buffer: $0.body) == "true" } ?? false
        return try await add(name: try Self.fileName(fileName), bytes: file.body, replace: replace)
    }

    private func add(name: String, bytes: ByteBuffer, replace: Bool) async throws -> EditedResponse<IngestResponse> {
        let file = await knowledge.indexer.dataDirectory.appendingPathComponent(name)
        let existed = FileManager.default.fileExists(atPath: file.path)
        if existed, !replace {
            throw APIError(status: .conflict, type: "conflict_error", message: "'\(name)' is already in the data folder; send ?substituir=true to replace it")
        }
        guard bytes.readableBytes > 0 else { throw APIError.invalidRequest("the file is empty") }
        do {
            try Data(buffer: bytes).write(to: file)
        } catch {
            throw APIError(status: .conflict, type: "conflict_error",
                           message: "cannot write to the data folder (is it mounted read-only?); add the file to it on the host and sync")
        }
        let report: IngestReport
        do {
            report = try await knowledge.ingestDocument(at: file)
        } catch {
            if !existed { try? FileManager.default.removeItem(at: file) }
            throw APIError(status: .conflict, type: "conflict_error", message: "\(error)")
        }
        if let failure = report.failed.first {
            if !existed { try? FileManager.default.removeItem(at: file) }
            throw APIError(status: .unprocessableContent, type: "invalid_request_error", message: "'\(name)' was not indexed: \(failure.reason)")
        }
        return EditedResponse(status: .created, response: IngestResponse(report: report))
    }

    /// Removes `DATA_DIR/<name>` and its passages from the index: 204; 404 when neither exists.
    @Sendable func delete(request: Request, context: Context) async throws -> Response {
        let name = try Self.fileName(context.parameters.getCatchAll().joined(separator: "/"))
        let file = await knowledge.indexer.dataDirectory.appendingPathComponent(name)
        let onDisk = FileManager.default.fileExists(atPath: file.path)
        if onDisk {
            do {
                try FileManager.default.removeItem(at: file)
            } catch {
                throw APIError(status: .conflict, type: "conflict_error", message: "cannot delete from the data folder (is it mounted read-only?)")
            }
        }
        let indexed = try await knowledge.removeDocument(at: name)
        guard onDisk || indexed else {
            throw APIError(status: .notFound, type: "not_found_error", message: "no document '\(name.prefix(200))'")
        }
        return Response(status: .noContent)
    }

    /// A plain file name of a supported type: no folders, no hidden files.
    static func fileName(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 200, !name.contains("/"), !name.contains("\\"), !name.hasPrefix("."), !name.contains("\0") else {
            throw APIError.invalidRequest("'\(name.prefix(80))' is not a plain file name", param: "name")
        }
        guard DocumentFormat(path: name) != nil else {
            throw APIError.invalidRequest(
                "'\(name.prefix(80))' is not a supported type (txt, md, csv, json, html, pdf, docx)", param: "name")
        }
        return name
    }
}
