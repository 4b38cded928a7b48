namespace Pyodide.Tests;

/// <summary>lzma and bz2 (liblzma and libbz2 from Debian's xz-utils and bzip2,
/// built into python.wasm) and the archive formats that use them.</summary>
public sealed class ArchiveTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    // Compressible but not trivial: a repeated text plus every byte value.
    private const string Payload = "payload = (b'Pyodide.Native ' * 4000 + bytes(range(256)) * 8)\n";

    [Theory]
    [InlineData("lzma.compress(payload)", "lzma.decompress")]
    [InlineData("lzma.compress(payload, format=lzma.FORMAT_ALONE, preset=9)", "lzma.decompress")]
    [InlineData("lzma.compress(payload, format=lzma.FORMAT_RAW, filters=[{'id': lzma.FILTER_LZMA2, 'preset': 1}])",
                "lambda d: lzma.decompress(d, format=lzma.FORMAT_RAW, filters=[{'id': lzma.FILTER_LZMA2}])")]
    [InlineData("bz2.compress(payload, 9)", "bz2.decompress")]
    [InlineData("bz2.compress(payload, 1)", "bz2.decompress")]
    public void RoundTrip(string compress, string decompress)
    {
        Expect.Str("True True", _py.RunPython(Payload + $$"""
            import bz2, lzma
            packed = {{compress}}
            unpack = {{decompress}}
            f'{unpack(packed) == payload} {len(packed) * 20 < len(payload)}'
            """));
    }

    [Fact]
    public void IncrementalAndIntegrityChecks()
    {
        Expect.Str("True True True LZMAError OSError", _py.RunPython(Payload + """
            import bz2, lzma
            c = lzma.LZMACompressor(check=lzma.CHECK_SHA256)
            xz = b''.join(c.compress(payload[i:i + 1000]) for i in range(0, len(payload), 1000)) + c.flush()
            d = lzma.LZMADecompressor()
            pieces = b''.join(d.decompress(xz[i:i + 333]) for i in range(0, len(xz), 333))
            b = bz2.BZ2Compressor()
            bz = b.compress(payload) + b.flush()
            bd = bz2.BZ2Decompressor()
            bz_back = b''.join(bd.decompress(bz[i:i + 100]) for i in range(0, len(bz), 100))
            def error(fn, data):
                try:
                    fn(data)
                    return 'no error'
                except Exception as e:
                    return type(e).__name__
            corrupt = bytearray(xz)
            corrupt[len(corrupt) // 2] ^= 0xFF
            f'{pieces == payload} {d.eof} {bz_back == payload} ' + \
                f'{error(lzma.decompress, bytes(corrupt))} {error(bz2.decompress, b"BZh9" + b"junk" * 10)}'
            """));
    }

    [Theory]
    [InlineData("w:xz", "r:xz")]
    [InlineData("w:bz2", "r:bz2")]
    [InlineData("w:xz", "r:*")]
    [InlineData("w:bz2", "r:*")]
    public void TarfileRoundTrip(string writeMode, string readMode)
    {
        Expect.Str("['data/a.txt', 'data/b.bin'] True True", _py.RunPython(Payload + $$"""
            import io, tarfile
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode='{{writeMode}}') as tar:
                for name, data in (('data/a.txt', b'hello ' * 100), ('data/b.bin', payload)):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            buf.seek(0)
            with tarfile.open(fileobj=buf, mode='{{readMode}}') as tar:
                names = tar.getnames()
                back = tar.extractfile('data/b.bin').read()
            f'{names} {back == payload} {buf.getbuffer().nbytes * 10 < len(payload)}'
            """));
    }

    [Theory]
    [InlineData("ZIP_LZMA", 14)]
    [InlineData("ZIP_BZIP2", 12)]
    public void ZipfileRoundTrip(string method, int methodNumber)
    {
        Expect.Str($"True {methodNumber} None", _py.RunPython(Payload + $$"""
            import io, zipfile
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, 'w', compression=zipfile.{{method}}) as z:
                z.writestr('big.bin', payload)
            with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
                ok = z.read('big.bin') == payload
                info = z.getinfo('big.bin')
                bad = z.testzip()
            f'{ok} {info.compress_type} {bad}'
            """));
    }

    [Theory]
    [InlineData("xztar", ".tar.xz")]
    [InlineData("bztar", ".tar.bz2")]
    public void ShutilArchivesOnDisk(string format, string suffix)
    {
        Expect.Str($"archive{suffix} ['one.txt', 'sub']", _py.RunPython($$"""
            import os, shutil, tempfile
            src = tempfile.mkdtemp(dir='/home/pyodide')
            os.makedirs(os.path.join(src, 'sub'))
            with open(os.path.join(src, 'one.txt'), 'w') as f:
                f.write('one')
            with open(os.path.join(src, 'sub', 'two.txt'), 'w') as f:
                f.write('two' * 1000)
            path = shutil.make_archive(os.path.join(src, '..', 'archive'), '{{format}}', src)
            dest = tempfile.mkdtemp(dir='/home/pyodide')
            shutil.unpack_archive(path, dest)
            assert open(os.path.join(dest, 'sub', 'two.txt')).read() == 'two' * 1000
            f'{os.path.basename(path)} {sorted(os.listdir(dest))}'
            """));
    }
}
