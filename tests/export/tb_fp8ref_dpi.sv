// Testbench: the fp8ref DPI-C model (fp8ref export dpi) on golden-vector files, under Verilator.
//
// +jobs=FILE lists one job per line: "<kind> <model or format number> <vector file>", kind
// f32 | f16 | bf16 (encode: lines "a z flags") or dec (decode: lines "code bits flags"). Every
// line of every file goes through the DPI function; the testbench prints one RESULT line per
// file (lines read, lines that differ) and the first differing lines, then checks the
// package's model count and names against the C side, and the invalid-argument results.
module tb_fp8ref_dpi;
  import fp8ref_dpi_pkg::*;

  string       jobs_path, kind, path;
  int          fd_jobs, fd, id, lines, bad, i;
  int unsigned a, z_exp, flags_exp, z;
  byte unsigned flags;

  initial begin
    if (!$value$plusargs("jobs=%s", jobs_path)) $fatal(1, "missing +jobs=FILE");
    fd_jobs = $fopen(jobs_path, "r");
    if (fd_jobs == 0) $fatal(1, "cannot open %s", jobs_path);
    $display("MODELS %0d %0d", fp8ref_model_count(), FP8REF_NUM_MODELS);
    for (i = 0; i < fp8ref_model_count(); i++) $display("MODEL %0d %s", i, fp8ref_model_name(i));
    z = fp8ref_encode_f32(FP8REF_NUM_MODELS, 32'h3F800000, flags);
    $display("INVALID %08h %02h %08h", z, flags, fp8ref_decode_f32(FP8REF_NUM_FORMATS, 0));
    while ($fscanf(fd_jobs, "%s %d %s\n", kind, id, path) == 3) begin
      fd = $fopen(path, "r");
      if (fd == 0) $fatal(1, "cannot open %s", path);
      lines = 0;
      bad = 0;
      while ($fscanf(fd, "%h %h %h\n", a, z_exp, flags_exp) == 3) begin
        flags = 8'h00;
        if (kind == "f32") z = fp8ref_encode_f32(id, a, flags);
        else if (kind == "f16") z = fp8ref_encode_f16(id, a[15:0], flags);
        else if (kind == "bf16") z = fp8ref_encode_bf16(id, a[15:0], flags);
        else if (kind == "dec") z = fp8ref_decode_f32(id, a);
        else $fatal(1, "unknown job kind %s", kind);
        lines++;
        if (z != z_exp || {24'h0, flags} != flags_exp) begin
          bad++;
          if (bad <= 3) $display("DIFF %s line %0d: in %h expected %h %h got %h %h", path, lines, a, z_exp,
                                 flags_exp, z, flags);
        end
      end
      $fclose(fd);
      $display("RESULT %s %0d %0d %0d %s", kind, id, lines, bad, path);
    end
    $fclose(fd_jobs);
    $finish;
  end
endmodule
