/// A trigger: rows enter when `fire` becomes true (FIRE) and leave when `fire` is false and
/// `clear` is absent or true, or when they are deleted (CLEAR) (architecture.md, data flow 7).
final class TriggerView: ViewNode {
    let fire: Filter
    let clear: Filter?
    let sink: EventSink<TriggerEvent>

    init(fire: Filter, clear: Filter?, sink: EventSink<TriggerEvent>) {
        self.fire = fire
        self.clear = clear
        self.sink = sink
        super.init(columnsRead: ColumnSet(fire.columnsRead + (clear?.columnsRead ?? [])))
    }

    /// Marks the rows that already match `fire` as entered; returns them so the caller can
    /// fire for them when asked to.
    func prime(_ table: SourceTable) -> [Row] {
        var entered: [Row] = []
        for stored in table.rows {
            let row = table.row(stored)
            if fire.matches(row) {
                visible.insert(stored)
                entered.append(row)
            }
        }
        return entered
    }

    /// Primes a trigger that was matching `resume.previouslyMatching` when it last ran; returns
    /// the transitions since then (see ``TriggerResume``), the rows now matching, and the
    /// previously matching keys without a row.
    func resume(_ table: SourceTable, from resume: TriggerResume)
        -> (catchUp: [(TriggerEvent.Kind, Row)], matching: [Row], vanished: Set<String>) {
        var catchUp: [(TriggerEvent.Kind, Row)] = []
        var matching: [Row] = []
        var vanished = resume.previouslyMatching
        for stored in table.rows {
            let row = table.row(stored)
            let firing = fire.matches(row)
            var was = false
            if !vanished.isEmpty {
                was = vanished.remove(resume.keyName(row)) != nil
            }
            // The same rule as a live update: once in, a row stays until `fire` is false and
            // `clear` (if any) is true.
            let stays = firing || (was && clear.map { !$0.matches(row) } ?? false)
            if stays {
                visible.insert(stored)
                matching.append(row)
                if !was { catchUp.append((.fire, row)) }
            } else if was {
                catchUp.append((.clear, row))
            }
        }
        return (catchUp, matching, vanished)
    }

    func evaluate(_ event: RowEvent) -> TriggerEvent? {
        let key = event.key
        switch event.kind {
        case .insert:
            guard fire.matches(event.row) else { return nil }
            visible.insert(key)
            return TriggerEvent(kind: .fire, row: event.row, timestamp: event.timestamp)
        case .delete:
            guard visible.remove(key) != nil else { return nil }
            return TriggerEvent(kind: .clear, row: event.row, timestamp: event.timestamp)
        case .update:
            guard event.changed.intersects(columnsRead) else { return nil }
            if visible.contains(key) {
                if !fire.matches(event.row), clear?.matches(event.row) ?? true {
                    visible.remove(key)
                    return TriggerEvent(kind: .clear, row: event.row, timestamp: event.timestamp)
                }
                return nil
            }
            guard fire.matches(event.row) else { return nil }
            visible.insert(key)
            return TriggerEvent(kind: .fire, row: event.row, timestamp: event.timestamp)
        }
    }

    override func handle(_ event: RowEvent) {
        guard let output = evaluate(event) else { return }
        sink.push(output)
    }

    override func sweep() -> Bool { !sink.isEnded }

    override func finish(_ error: LiveViewsError) { sink.finish(error) }
}
