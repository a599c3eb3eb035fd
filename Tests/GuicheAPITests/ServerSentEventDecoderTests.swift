import Foundation
import GuicheAPI
import Testing

@Suite struct ServerSentEventDecoderTests {
    /// What the generator writes for a Portuguese answer, then `[DONE]`.
    static func stream(_ pieces: [String]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for piece in pieces {
            let chunk = ChatCompletionChunk(id: "c", created: 0, model: "m", delta: .init(content: piece))
            bytes += Array(buffer: try ServerSentEvent.data(chunk))
        }
        bytes += Array(buffer: ServerSentEvent.done)
        return bytes
    }

    static func contents(_ events: [ServerSentEventDecoder.Event]) throws -> [String] {
        try events.filter { $0.data != ServerSentEvent.doneMarker }.map {
            try JSONDecoder().decode(ChatCompletionChunk.self, from: Data($0.data.utf8)).choices[0].delta.content ?? ""
        }
    }

    @Test func charactersSplitAcrossReadsArriveWhole() throws {
        let pieces = ["A renovação", " da CNH é feita no DETRAN: exame de aptidão física e mental, ", "coração", " e ação."]
        let bytes = try Self.stream(pieces)
        // Every multi-byte character is split somewhere when bytes come one at a time.
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEventDecoder.Event] = []
        for byte in bytes { events += decoder.append([byte]) }
        #expect(try Self.contents(events) == pieces)
        #expect(events.last?.data == ServerSentEvent.doneMarker)
        #expect(!decoder.hasPartialEvent)
        #expect(!events.contains { $0.data.contains("\u{FFFD}") })

        // And at every split point of two reads.
        for split in 1..<bytes.count {
            var decoder = ServerSentEventDecoder()
            let events = decoder.append(bytes[..<split]) + decoder.append(bytes[split...])
            #expect(try Self.contents(events) == pieces, "split at byte \(split)")
        }
    }

    @Test func lineEndsCommentsAndFieldsFollowTheSpecification() {
        var decoder = ServerSentEventDecoder()
        let text = ": keep-alive\r\nevent: erro\r\ndata: primeira\r\ndata:segunda\r\nid: 7\r\n\r\ndata: três\r\rdata: quatro\n\n"
        let events = decoder.append(Array(text.utf8))
        #expect(events == [
            .init(name: "erro", data: "primeira\nsegunda"),
            .init(data: "três"),
            .init(data: "quatro"),
        ])
    }

    @Test func anUnfinishedEventIsHeldNotDispatched() {
        var decoder = ServerSentEventDecoder()
        #expect(decoder.append(Array("data: {\"a\": 1}\n".utf8)).isEmpty)
        #expect(decoder.hasPartialEvent)
        #expect(decoder.append(Array("\n".utf8)) == [.init(data: "{\"a\": 1}")])
    }
}

@Suite struct WireTypeTests {
    @Test func aChatCompletionRequestRoundTripsWithItsSamplingAtTheTopLevel() throws {
        let request = ChatCompletionRequest(
            messages: [.init(role: "user", content: "Qual o prazo?")], stream: true, includeUsage: true,
            sampling: SamplingFields(maxTokens: 160, temperature: 0, topK: 40, repeatPenalty: 1.1, repeatLastN: 32, stop: ["\n\n"], seed: 7))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as! [String: Any]
        #expect(json["max_tokens"] as? Int == 160)
        #expect(json["repeat_last_n"] as? Int == 32)
        #expect(json["stop"] as? [String] == ["\n\n"])
        #expect((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        let decoded = try JSONDecoder().decode(ChatCompletionRequest.self, from: JSONEncoder().encode(request))
        #expect(decoded.sampling == request.sampling)
        #expect(decoded.messages.map(\.content?.text) == ["Qual o prazo?"])
    }

    @Test func theStopFieldTakesAStringOrAList() throws {
        let one = try JSONDecoder().decode(SamplingFields.self, from: Data(#"{"stop": "FIM"}"#.utf8))
        let many = try JSONDecoder().decode(SamplingFields.self, from: Data(#"{"stop": ["FIM", "\n"]}"#.utf8))
        #expect(one.stop?.values == ["FIM"])
        #expect(many.stop?.values == ["FIM", "\n"])
    }

    @Test func aStreamingChunkSaysNullForAnOpenFinishReason() throws {
        let chunk = ChatCompletionChunk(id: "c", created: 1, model: "m", delta: .init(content: "ç"))
        let text = String(decoding: try JSONEncoder().encode(chunk), as: UTF8.self)
        #expect(text.contains(#""finish_reason":null"#))
        let decoded = try JSONDecoder().decode(ChatCompletionChunk.self, from: Data(text.utf8))
        #expect(decoded.choices.first?.delta.content == "ç")
        #expect(decoded.choices.first?.finishReason == nil)
    }

    @Test func anErrorBodyIsNotAChunkAndAChunkIsNotAnErrorBody() throws {
        let error = try JSONEncoder().encode(ErrorBody(error: .init(message: "prompt too long", type: "invalid_request_error")))
        let chunk = try JSONEncoder().encode(ChatCompletionChunk(id: "c", created: 1, model: "m", delta: .init(content: "x")))
        #expect((try? JSONDecoder().decode(ChatCompletionChunk.self, from: error)) == nil)
        #expect((try? JSONDecoder().decode(ErrorBody.self, from: chunk)) == nil)
        #expect(try JSONDecoder().decode(ErrorBody.self, from: error).error.message == "prompt too long")
    }
}
