import Foundation
import LiveViews
import Logging

/// A log handler writing one JSON object per line to standard error (`LOG_FORMAT=json`),
/// for log pipelines that parse structured logs.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var bytes: [UInt8] = []
        bytes.append(contentsOf: #"{"time":"#.utf8)
        JSONWriter.writeString(Date().formatted(.iso8601), to: &bytes)
        bytes.append(contentsOf: #","level":"#.utf8)
        JSONWriter.writeString(event.level.rawValue, to: &bytes)
        bytes.append(contentsOf: #","label":"#.utf8)
        JSONWriter.writeString(label, to: &bytes)
        bytes.append(contentsOf: #","message":"#.utf8)
        JSONWriter.writeString(event.message.description, to: &bytes)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            bytes.append(UInt8(ascii: ","))
            JSONWriter.writeString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONWriter.writeString(value.description, to: &bytes)
        }
        bytes.append(contentsOf: "}\n".utf8)
        FileHandle.standardError.write(Data(bytes))
    }
}
