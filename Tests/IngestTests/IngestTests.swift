import Ingest
import Testing
