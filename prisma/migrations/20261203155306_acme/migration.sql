-- CreateTable
CREATE TABLE "AcmeNonce" (
    "value" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AcmeAccount" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "thumbprint" TEXT NOT NULL,
    "jwk" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'valid',
    "contact" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AcmeOrder" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "identifiers" TEXT NOT NULL,
    "expires" DATETIME NOT NULL,
    "error" TEXT,
    "certSerial" TEXT,
    "enrollmentId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AcmeAuthorization" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orderId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "identifierType" TEXT NOT NULL,
    "identifierValue" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "expires" DATETIME NOT NULL,
    "challengeType" TEXT NOT NULL,
    "challengeToken" TEXT NOT NULL,
    "challengeStatus" TEXT NOT NULL DEFAULT 'pending',
    "validatedAt" DATETIME,
    "challengeError" TEXT,
    "attestedKey" BLOB,
    "attestation" TEXT
);

-- CreateTable
CREATE TABLE "AcmeEnrollment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientIdentifier" TEXT NOT NULL,
    "udid" TEXT,
    "serialNumber" TEXT,
    "enrollmentRef" TEXT,
    "subject" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "certSerial" TEXT
);

-- CreateTable
CREATE TABLE "AcmeRegisteredDevice" (
    "serialNumber" TEXT NOT NULL PRIMARY KEY,
    "note" TEXT,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "AcmeNonce_expiresAt_idx" ON "AcmeNonce"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "AcmeAccount_thumbprint_key" ON "AcmeAccount"("thumbprint");

-- CreateIndex
CREATE INDEX "AcmeAccount_createdAt_idx" ON "AcmeAccount"("createdAt");

-- CreateIndex
CREATE INDEX "AcmeOrder_accountId_createdAt_idx" ON "AcmeOrder"("accountId", "createdAt");

-- CreateIndex
CREATE INDEX "AcmeOrder_certSerial_idx" ON "AcmeOrder"("certSerial");

-- CreateIndex
CREATE INDEX "AcmeAuthorization_orderId_idx" ON "AcmeAuthorization"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "AcmeEnrollment_clientIdentifier_key" ON "AcmeEnrollment"("clientIdentifier");

-- CreateIndex
CREATE INDEX "AcmeEnrollment_udid_idx" ON "AcmeEnrollment"("udid");

-- CreateIndex
CREATE INDEX "AcmeEnrollment_serialNumber_idx" ON "AcmeEnrollment"("serialNumber");
