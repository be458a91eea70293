-- AlterTable
ALTER TABLE "ScepProfile" ADD COLUMN     "ndesCacheSize" INTEGER NOT NULL DEFAULT 5;

-- CreateTable
CREATE TABLE "ScepTransaction" (
    "id" TEXT NOT NULL,
    "profileId" TEXT NOT NULL,
    "transactionId" TEXT NOT NULL,
    "authority" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "signerKeyHash" TEXT NOT NULL,
    "cipherOid" TEXT NOT NULL,
    "serial" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScepTransaction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ScepTransaction_createdAt_idx" ON "ScepTransaction"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScepTransaction_profileId_transactionId_authority_key" ON "ScepTransaction"("profileId", "transactionId", "authority");

-- AddForeignKey
ALTER TABLE "ScepTransaction" ADD CONSTRAINT "ScepTransaction_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "ScepProfile"("id") ON DELETE CASCADE ON UPDATE CASCADE;
