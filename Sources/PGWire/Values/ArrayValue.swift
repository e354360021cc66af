/// A PostgreSQL array: its element type, its dimensions and its elements in row-major order.
///
/// An empty array has no dimensions. Text form: https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO;
/// binary form: `array_send` (ndim, has-null flag, element OID, per dimension length and lower
/// bound, then each element with an Int32 length, -1 for NULL).
public struct ArrayValue: Sendable, Hashable {
    /// One dimension: how many elements it has and the index of the first (1 unless declared).
    public struct Dimension: Sendable, Hashable {
        public var length: Int
        public var lowerBound: Int
        public init(length: Int, lowerBound: Int = 1) {
            self.length = length
            self.lowerBound = lowerBound
        }
    }

    public var elementType: TypeOID
    public var dimensions: [Dimension]
    /// Elements in row-major order; `.null` for NULL elements.
    public var elements: [Datum]

    /// The maximum number of dimensions PostgreSQL allows (`MAXDIM`).
    public static let maximumDimensions = 6

    public init(elementType: TypeOID, dimensions: [Dimension], elements: [Datum]) {
        precondition(dimensions.reduce(dimensions.isEmpty ? 0 : 1) { $0 * $1.length } == elements.count,
                     "array dimensions do not match the element count")
        self.elementType = elementType
        self.dimensions = dimensions
        self.elements = elements
    }

    /// A one-dimensional array with lower bound 1 (an empty array when `elements` is empty).
    public init(elementType: TypeOID, elements: [Datum]) {
        self.init(elementType: elementType,
                  dimensions: elements.isEmpty ? [] : [Dimension(length: elements.count)],
                  elements: elements)
    }
}
