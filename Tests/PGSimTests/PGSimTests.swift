import PGSim
import Testing
