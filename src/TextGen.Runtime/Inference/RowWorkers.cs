using System.Diagnostics;

namespace TextGen.Inference;

/// <summary>
/// Splits one product's rows between the calling thread and a helper thread per further core, for the per-token
/// products of generation, which take tens of microseconds each. The thread pool's <c>Parallel.For</c> made idle
/// workers wait in <c>sched_yield</c>, about ten system calls per token. Here a helper waits for the next product by
/// spinning on a counter with pause instructions (no system call) for a short while, then sleeps until woken. The
/// caller claims chunks of rows from the front, the helpers from the back, so from token to token each core reads the
/// same rows and keeps them in its own cache; once none is left to claim, the caller waits only for the chunks a helper
/// is already running, so a helper that is slow to wake costs nothing. While another stream holds the helpers, a
/// caller runs its product alone on its own thread.
/// </summary>
internal sealed class RowWorkers
{
    /// <summary>How long an idle helper keeps spinning before it sleeps: a few tokens' worth of steps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000; // 0.5 ms

    private static readonly Lazy<RowWorkers> SharedWorkers = new(() => new RowWorkers(Environment.ProcessorCount - 1));

    private readonly SemaphoreSlim _wake = new(0);
    private Action<int, int>? _body;
    private int _rows, _chunk, _chunks, _done, _busy, _sleeping;
    // The product's generation (high 24 bits), the caller's next chunk from the front (20 bits) and the end of the
    // helpers' next chunk from the back (low 20 bits): a helper that read an earlier product cannot claim a chunk of a later one.
    private long _claims;
    private Exception? _failure; // a helper's, for the caller to throw
    private static int _streams; // generation streams running (EnterStream)
    private const int ChunkBits = 20, GenerationShift = 2 * ChunkBits;
    private const long ChunkMask = (1L << ChunkBits) - 1;

    private RowWorkers(int helpers)
    {
        Helpers = helpers;
        for (var i = 0; i < helpers; i++)
        {
            new Thread(HelperLoop) { IsBackground = true, Name = $"textgen-rows-{i}" }.Start();
        }
    }

    /// <summary>The process's helpers, started at first use: one per core beyond the first.</summary>
    public static RowWorkers Shared => SharedWorkers.Value;

    public int Helpers { get; }

    /// <summary>
    /// Marks a generation stream as running until disposed. While more than one runs, each computes on its own thread:
    /// the streams already keep the cores busy, and a helper would only take a core from another stream (measured in
    /// docs/runtime.md).
    /// </summary>
    public static IDisposable EnterStream()
    {
        Interlocked.Increment(ref _streams);
        return new StreamScope();
    }

    private sealed class StreamScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref _streams);
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, <paramref name="rows"/>) in chunks (multiples of four rows), on this thread and the helpers.</summary>
    public void Run(int rows, Action<int, int> body)
    {
        if (Helpers == 0 || Volatile.Read(ref _streams) > 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(0, rows);
            return;
        }
        try
        {
            var parts = Helpers + 1;
            _chunk = Math.Max(16, (rows / (4 * parts) + 3) & ~3);
            _chunks = (rows + _chunk - 1) / _chunk;
            (_rows, _body, _done) = (rows, body, 0);
            var generation = ((Volatile.Read(ref _claims) >>> GenerationShift) + 1) & 0xFF_FFFF;
            (_done, _failure) = (0, null);
            Interlocked.Exchange(ref _claims, generation << GenerationShift | (long)_chunks); // publishes the fields above
            if (Volatile.Read(ref _sleeping) is var sleeping and > 0) _wake.Release(Math.Min(sleeping, Helpers));
            try
            {
                RunChunks(generation, body, fromFront: true);
            }
            finally
            {
                // Normally every chunk is claimed by now; after a failure no more are, and the claimed ones are awaited,
                // so no helper is still in this product when the next one is posted.
                var claimed = Close(generation);
                for (var spins = 0; Volatile.Read(ref _done) < claimed; spins++)
                {
                    if (spins < 4096) Thread.SpinWait(4);
                    else Thread.Yield(); // a helper holding a chunk was preempted: let it run
                }
            }
            if (_failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            _body = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Lets no one claim another chunk of the product; returns how many were claimed.</summary>
    private int Close(long generation)
    {
        while (true)
        {
            var claims = Volatile.Read(ref _claims);
            var (front, back) = ((int)(claims >> ChunkBits & ChunkMask), (int)(claims & ChunkMask));
            var closed = generation << GenerationShift | (long)front << ChunkBits | (long)front;
            if (Interlocked.CompareExchange(ref _claims, closed, claims) == claims) return front + (_chunks - back);
        }
    }

    /// <summary>Claims and runs chunks of the given product, from its front or its back, until none is left or the product has moved on.</summary>
    private void RunChunks(long generation, Action<int, int> body, bool fromFront)
    {
        while (true)
        {
            var claims = Volatile.Read(ref _claims);
            var (front, back) = ((int)(claims >> ChunkBits & ChunkMask), (int)(claims & ChunkMask));
            if (claims >>> GenerationShift != generation || front >= back) return;
            var claimed = fromFront ? claims + (1L << ChunkBits) : claims - 1;
            if (Interlocked.CompareExchange(ref _claims, claimed, claims) != claims) continue;
            var start = (fromFront ? front : back - 1) * _chunk;
            try
            {
                body(start, Math.Min(_rows, start + _chunk));
            }
            catch (Exception e) when (!fromFront)
            {
                _failure ??= e; // a helper's failure is the caller's to throw
            }
            finally
            {
                Interlocked.Increment(ref _done);
            }
        }
    }

    private void HelperLoop()
    {
        var seen = 0L;
        while (true)
        {
            var generation = WaitForProduct(seen);
            seen = generation;
            if (_body is { } body) RunChunks(generation, body, fromFront: false);
        }
    }

    /// <summary>Spins (pause instructions only) until a product newer than <paramref name="seen"/> is posted, then sleeps.</summary>
    private long WaitForProduct(long seen)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            for (var i = 0; i < 256; i++)
            {
                var generation = Volatile.Read(ref _claims) >>> GenerationShift;
                if (generation != seen) return generation;
                Thread.SpinWait(4);
            }
            if (Stopwatch.GetTimestamp() - started < SpinTicks) continue;
            Interlocked.Increment(ref _sleeping);
            if (Volatile.Read(ref _claims) >>> GenerationShift == seen) _wake.Wait();
            Interlocked.Decrement(ref _sleeping);
            started = Stopwatch.GetTimestamp();
        }
    }
}
