namespace TextGen.Server;

/// <summary>Lets a bounded number of generations run at once and a bounded number wait; beyond that, requests get 429.</summary>
public sealed class ConcurrencyGate(int running, int queued) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(running, running);
    private int _waiting; // requests holding or waiting for a slot
    private int _busy;

    /// <summary>Generation slots (--max-concurrency).</summary>
    public int Slots => running;

    /// <summary>Slots in use.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Requests waiting for a slot.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref _waiting) - Busy);

    public async Task<IDisposable> EnterAsync(CancellationToken cancel)
    {
        if (Interlocked.Increment(ref _waiting) > running + queued)
        {
            Interlocked.Decrement(ref _waiting);
            throw new RequestError(429, "too many requests are waiting; retry later.", type: "rate_limit_error");
        }
        try
        {
            await _slots.WaitAsync(cancel);
        }
        catch
        {
            Interlocked.Decrement(ref _waiting);
            throw;
        }
        Interlocked.Increment(ref _busy);
        return new Slot(this);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(ConcurrencyGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref gate._busy);
                gate._slots.Release();
                Interlocked.Decrement(ref gate._waiting);
            }
        }
    }
}
