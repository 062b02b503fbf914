namespace GenesysDedup.Stores.Memory;

/// <summary>The <c>Dedup:Memory</c> section: the bound on the in-process store.</summary>
public sealed class MemoryStoreOptions
{
    /// <summary>The configuration section these options bind from: <c>Dedup:Memory</c>.</summary>
    public const string SectionName = "Dedup:Memory";

    /// <summary>
    /// Most records held. Expired ones are swept first; past the bound the completed records nearest their expiry
    /// are evicted (counted in <c>genesys_dedup.memory.evicted</c>: such a key would answer processed again), and when
    /// only in-progress claims remain, new claims answer store_unavailable.
    /// </summary>
    public int MaxEntries { get; set; } = 1_000_000;
}
