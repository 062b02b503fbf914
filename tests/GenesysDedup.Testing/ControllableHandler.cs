using System.Collections.Concurrent;
using GenesysDedup.Domain;

namespace GenesysDedup.Testing;

/// <summary>
/// A handler for tests that counts every run per key and can be told to fail or to block: the "did the business
/// logic run exactly once" counter, observed from outside the engine. Register the one instance as a singleton.
/// </summary>
public sealed class ControllableHandler : IDedupHandler, IDisposable
{
    private readonly ConcurrentDictionary<string, int> _runs = new();
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new();
    private readonly SemaphoreSlim _entries = new(0);
    private volatile TaskCompletionSource? _gate;

    /// <summary>Runs per key (started runs, including failed ones).</summary>
    public IReadOnlyDictionary<string, int> Runs => _runs;

    public int TotalRuns => _runs.Values.Sum();

    /// <summary>When set, every event the handler is given is kept, as a handler that queues work for later would.</summary>
    public bool KeepsEvents { get; set; }

    /// <summary>The events kept while <see cref="KeepsEvents"/> was set, in the order they arrived.</summary>
    public ConcurrentQueue<DedupEvent> Kept { get; } = new();

    public int RunsOf(string key) => _runs.TryGetValue(key, out var runs) ? runs : 0;

    /// <summary>The next <paramref name="times"/> runs of <paramref name="key"/> throw.</summary>
    public void FailNext(string key, int times = 1) => _failuresLeft[key] = times;

    /// <summary>From now on every run waits at one gate until <see cref="OpenGate"/>.</summary>
    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every run waiting at the gate go on, and later runs pass straight through.</summary>
    public void OpenGate() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    /// <summary>Completes when one more run has reached the closed gate (each arrival is awaited once).</summary>
    public Task WaitForArrivalAsync() => _entries.WaitAsync();

    /// <summary>The context of every run, in the order they started.</summary>
    public ConcurrentQueue<DedupContext> Contexts { get; } = new();

    public async ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        var key = context.Key;
        Contexts.Enqueue(context);
        _runs.AddOrUpdate(key.Value, 1, static (_, runs) => runs + 1);
        if (KeepsEvents)
        {
            Kept.Enqueue(context.Event);
        }

        if (_gate is { } gate)
        {
            _entries.Release();
            await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_failuresLeft.TryGetValue(key.Value, out var left) && left > 0 && _failuresLeft.TryUpdate(key.Value, left - 1, left))
        {
            throw new InvalidOperationException("handler told to fail");
        }
    }

    public void Dispose() => _entries.Dispose();
}
