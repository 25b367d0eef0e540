// The owner's material (the port of ledger/provenance/heirloom.h): written next.
export {};
